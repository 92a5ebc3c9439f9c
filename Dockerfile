# tokenmeter: one image for every command (run, bridge eventhubs, pager, prices, budgets, produce...).
#   docker build -t tokenmeter .            then   docker run --rm tokenmeter --help
# The build stage runs the same Maven build as ./tokenmeter (jar + runtime libraries in app/target); tests run in CI, not here.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY schemas schemas
COPY topology topology
COPY connectors connectors
COPY embedded embedded
COPY app app
RUN --mount=type=cache,target=/root/.m2 mvn -B -ntp -q -DskipTests -Dmaven.test.skip.exec=true package

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 --home-dir /var/lib/tokenmeter tokenmeter \
    && mkdir -p /var/lib/tokenmeter/state && chown -R tokenmeter /var/lib/tokenmeter
COPY --from=build /src/app/target/lib /opt/tokenmeter/lib
COPY --from=build /src/app/target/tokenmeter.jar /opt/tokenmeter/tokenmeter.jar
USER tokenmeter
WORKDIR /var/lib/tokenmeter
ENV TOKENMETER_STATE_DIR=/var/lib/tokenmeter/state \
    TOKENMETER_JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:+UseParallelGC"
EXPOSE 8080
# TOKENMETER_JAVA_OPTS as with ./tokenmeter; every other TOKENMETER_* variable is a setting (see `tokenmeter config`)
ENTRYPOINT ["sh", "-c", "exec java $TOKENMETER_JAVA_OPTS -jar /opt/tokenmeter/tokenmeter.jar \"$@\"", "tokenmeter"]
CMD ["run"]
