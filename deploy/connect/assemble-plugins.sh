#!/usr/bin/env bash
# Builds deploy/connect/plugins/ for a Connect worker's plugin.path (docker-compose mounts it at /opt/connect-plugins):
#   plugins/debezium-connector-jdbc/  Debezium's JDBC sink plugin tarball from Maven Central (Hibernate, PostgreSQL driver)
#   plugins/tokenmeter-connect/       tokenmeter's ConfluentAvroConverter (the connect module's plugin jar)
# Extra arguments go to Maven, e.g. ./deploy/connect/assemble-plugins.sh -Dmaven.repo.local=/path/to/repository
set -euo pipefail
DEBEZIUM_VERSION="${DEBEZIUM_VERSION:-3.6.0.Final}"   # keep in step with debezium.version in pom.xml
root="$(cd "$(dirname "$0")/../.." && pwd)"
plugins="$root/deploy/connect/plugins"

mvn -B -ntp -q -f "$root/pom.xml" -pl connect -am package -DskipTests "$@"
mvn -B -ntp -q -f "$root/pom.xml" -N dependency:unpack \
  -Dartifact="io.debezium:debezium-connector-jdbc:${DEBEZIUM_VERSION}:tar.gz:plugin" \
  -DoutputDirectory="$plugins" -Dmdep.overWriteReleases=true "$@"

rm -rf "$plugins/tokenmeter-connect"
mkdir -p "$plugins/tokenmeter-connect"
cp "$root"/connect/target/tokenmeter-connect-*-plugin.jar "$plugins/tokenmeter-connect/"
echo "plugins ready in $plugins:"
ls -1 "$plugins"
