package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Where log lines go. Services log tokenmeter's INFO and everyone's WARN to stderr; the demo keeps the terminal for
 * its live view and sends the log to a file instead, showing only errors.
 */
final class Logging {

    private static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{24} - %msg%n";

    private Logging() {
    }

    /** tokenmeter at INFO, Kafka and the rest at WARN, all to stderr at or above {@code consoleThreshold}. */
    static void toConsole(Level consoleThreshold) {
        configure(consoleThreshold, null);
    }

    /** Everything at INFO into {@code file}; only {@code consoleThreshold} and above on stderr. */
    static void toFile(Path file, Level consoleThreshold) {
        configure(consoleThreshold, file);
    }

    /** Turns loggers off whose failures the command reports itself, in one line (the Azure SDK logs stack traces). */
    static void silence(String... loggers) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        for (String name : loggers) {
            context.getLogger(name).setLevel(Level.OFF);
        }
    }

    private static void configure(Level consoleThreshold, Path file) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.setLevel(Level.WARN);
        context.getLogger("io.tokenmeter").setLevel(Level.INFO);
        // these log expected conditions at WARN during normal start-up and shutdown
        context.getLogger("org.apache.kafka.clients.NetworkClient").setLevel(Level.ERROR);
        context.getLogger("org.apache.kafka.streams.processor.internals.StateDirectory").setLevel(Level.ERROR);
        context.getLogger("org.apache.kafka.controller.QuorumController").setLevel(Level.ERROR);
        // Kafka Streams' partition assignor re-reads its settings from the consumer's and warns that a Streams-only
        // setting (processing.exception.handler.global.enabled, which StreamsDefaults does set) is missing
        context.getLogger("org.apache.kafka.streams.StreamsConfig").setLevel(Level.ERROR);
        context.getLogger("org.apache.kafka.clients.consumer.internals.OffsetFetcherUtils").setLevel(Level.ERROR);
        // the embedded broker logs every rejected append at ERROR, e.g. the OutOfOrderSequence answers that
        // transactions v2 gives a producer racing its previous commit; the producer gets, logs and retries them itself
        context.getLogger("kafka.server.ReplicaManager").setLevel(Level.OFF);

        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setTarget("System.err");
        console.setEncoder(encoder(context));
        ThresholdFilter threshold = new ThresholdFilter();
        threshold.setLevel(consoleThreshold.toString());
        threshold.start();
        console.addFilter(threshold);
        console.start();
        root.addAppender(console);

        if (file != null) {
            FileAppender<ILoggingEvent> log = new FileAppender<>();
            log.setContext(context);
            log.setFile(file.toString());
            log.setAppend(true);
            log.setEncoder(encoder(context));
            log.start();
            root.addAppender(log);
        }
    }

    private static PatternLayoutEncoder encoder(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        return encoder;
    }
}
