# Sourced by the bin/ tools: finds java and the JCCL jar, sets the JVM options.
# JAVA_HOME picks the JDK (else java on PATH); JCCL_JAVA_OPTS adds JVM options.
JCCL_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JCCL_JAR="${JCCL_JAR:-$JCCL_HOME/benchmarks/target/jccl.jar}"
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA="$(command -v java || true)"
fi
if [[ -z "$JAVA" ]]; then
  echo "$(basename "$0"): no java found: install a JDK 17+ or set JAVA_HOME" >&2
  exit 2
fi
# the jar this tool runs: the benchmarks' jccl.jar, unless the script named another (bin/jccl-run: the launcher's)
JCCL_NEEDED_JAR="${JCCL_NEEDED_JAR:-$JCCL_JAR}"
if [[ ! -f "$JCCL_NEEDED_JAR" ]]; then
  echo "$(basename "$0"): $JCCL_NEEDED_JAR is missing: build it first with ./mvnw -q -B -DskipTests package" >&2
  exit 2
fi
# Netty reaches direct-buffer internals for speed; the other options keep 4 JVMs on 2 cores polite.
JCCL_JVM_OPTS=(-XX:+UseParallelGC -XX:ParallelGCThreads=1 -XX:CICompilerCount=2 -Xms256m
  --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED
  -Dio.netty.tryReflectionSetAccessible=true)
