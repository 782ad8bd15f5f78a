# Shared by the kafka/ scripts (sourced, not run): paths, ports, classpath.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
# The source tree (with pom.xml), or ilb's distribution (README, Deploy), which has no target/ and no Maven
if [[ -f "$ROOT/pom.xml" ]]; then
    KAFKA_DATA="${KAFKA_DATA:-target/kafka-standalone}"
else
    KAFKA_DATA="${KAFKA_DATA:-data/kafka-standalone}"
fi
case "$KAFKA_DATA" in /*) ;; *) KAFKA_DATA="$ROOT/$KAFKA_DATA" ;; esac
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
PID_FILE="$KAFKA_DATA/kafka.pid"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# For the tools: the project's logback.xml logs at INFO to stdout otherwise.
QUIET="-Dilb.log.level=WARN"

# The project's runtime classpath (it holds kafka_2.13: broker and tools) and
# its classes (BatchTopics, logback.xml), resolved by Maven once and again
# only when pom.xml changes. In the distribution: its lib/, which holds them all.
classpath() {
    if [[ ! -f "$ROOT/pom.xml" ]]; then
        echo "$ROOT/lib/*"
        return
    fi
    local file="$ROOT/target/kafka-classpath.txt"
    if [[ ! -s "$file" || "$ROOT/pom.xml" -nt "$file" ]]; then
        echo "resolving the classpath with Maven..." >&2
        (cd "$ROOT" && mvn -q -B dependency:build-classpath -Dmdep.includeScope=runtime \
            -Dmdep.outputFile="$file") >&2 || return 1
    fi
    if [[ ! -f "$ROOT/target/classes/ilb/batch/BatchTopics.class" ]]; then
        echo "compiling the project..." >&2
        (cd "$ROOT" && mvn -q -B compile) >&2 || return 1
    fi
    echo "$(cat "$file"):$ROOT/target/classes"
}

# The PID of the running broker, or nothing (a stale PID file, or a PID now
# used by another process, does not count).
running_pid() {
    local pid
    [[ -f "$PID_FILE" ]] || return 0
    pid="$(cat "$PID_FILE")"
    if [[ -n "$pid" ]] && ps -p "$pid" -o args= 2>/dev/null | grep -q 'kafka\.Kafka'; then
        echo "$pid"
    fi
}
