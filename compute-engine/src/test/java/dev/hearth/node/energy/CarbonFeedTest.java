package dev.hearth.node.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.hearth.node.policy.CarbonIntensity;
import dev.hearth.node.policy.Reading;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/// The grid feed against a local HTTP server answering the recorded example
/// (`carbon-feed-example.json`, the shape docs/carbon-feed.md documents) and hostile answers.
class CarbonFeedTest {

    /// Before the example's valid_until (2026-12-01T23:00:00Z).
    private static final Instant NOW = Instant.parse("2026-12-01T22:10:00Z");

    /// A clock the test moves by hand.
    private static final class HandClock extends java.time.Clock {
        private Instant now;

        HandClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId z) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private HttpServer server;
    private final AtomicReference<byte[]> body = new AtomicReference<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicInteger requests = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/now", ex -> {
            requests.incrementAndGet();
            byte[] b = body.get();
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status.get(), b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/now";
    }

    private static byte[] example() throws IOException {
        try (InputStream in = CarbonFeedTest.class.getResourceAsStream("carbon-feed-example.json")) {
            return in.readAllBytes();
        }
    }

    @Test
    void readsTheRecordedExample() throws IOException {
        body.set(example());
        Reading<CarbonIntensity> r = new CarbonFeed(new HandClock(NOW), Runnable::run).fetch(url());
        assertEquals(Reading.of(new CarbonIntensity(123, Instant.parse("2026-12-01T23:00:00Z"))), r);
    }

    @Test
    void fetchesAtMostOncePerRefreshInterval() throws IOException {
        body.set(example());
        HandClock clock = new HandClock(NOW);
        CarbonFeed feed = new CarbonFeed(clock, Runnable::run); // fetches on the caller's thread: deterministic
        Reading<CarbonIntensity> first = feed.reading(url());
        assertTrue(first.isAvailable(), first.toString());
        clock.advance(CarbonFeed.REFRESH.minus(Duration.ofSeconds(1)));
        feed.reading(url());
        assertEquals(1, requests.get());
        clock.advance(Duration.ofSeconds(1));
        feed.reading(url());
        assertEquals(2, requests.get());
    }

    @Test
    void refusesAnswersThatAreNotTheDocumentedObject() {
        CarbonFeed feed = new CarbonFeed(new HandClock(NOW), Runnable::run);
        String[][] cases = {
                {"[1,2]", "not a JSON object"},
                {"{\"gCO2_per_kWh\": \"low\", \"valid_until\": \"2026-12-01T23:00:00Z\"}", "no number gCO2_per_kWh"},
                {"{\"gCO2_per_kWh\": -5, \"valid_until\": \"2026-12-01T23:00:00Z\"}", "outside 0..2000"},
                {"{\"gCO2_per_kWh\": 1e308, \"valid_until\": \"2026-12-01T23:00:00Z\"}", "outside 0..2000"},
                {"{\"gCO2_per_kWh\": 100}", "no valid_until"},
                {"{\"gCO2_per_kWh\": 100, \"valid_until\": \"tomorrow\"}", "not an ISO-8601"},
                {"{\"gCO2_per_kWh\": 100, \"valid_until\": \"2026-12-01T22:00:00Z\"}", "expired"},
                {"{\"gCO2_per_kWh\": 1, \"gCO2_per_kWh\": 900, \"valid_until\": \"2026-12-01T23:00:00Z\"}", "not JSON"},
                {"not json", "not JSON"},
        };
        for (String[] c : cases) {
            body.set(c[0].getBytes(StandardCharsets.UTF_8));
            Reading<CarbonIntensity> r = feed.fetch(url());
            assertTrue(r instanceof Reading.Unavailable<CarbonIntensity>(String why) && why.contains(c[1]), c[0] + " → " + r);
        }
    }

    @Test
    void refusesAnOversizedAnswerAndAnHttpError() {
        CarbonFeed feed = new CarbonFeed(new HandClock(NOW), Runnable::run);
        body.set(("{\"gCO2_per_kWh\": 100, \"pad\": \"" + "x".repeat(CarbonFeed.MAX_BODY_BYTES) + "\"}").getBytes(StandardCharsets.UTF_8));
        assertTrue(feed.fetch(url()).toString().contains("over 4096 bytes"), feed.fetch(url()).toString());
        body.set(new byte[0]);
        status.set(503);
        assertTrue(feed.fetch(url()).toString().contains("HTTP 503"));
    }

    @Test
    void aFeedThatIsDownSaysSoInWords() {
        int port = server.getAddress().getPort();
        server.stop(0);
        Reading<CarbonIntensity> r = new CarbonFeed(new HandClock(NOW), Runnable::run).fetch("http://127.0.0.1:" + port + "/now");
        assertTrue(r instanceof Reading.Unavailable<CarbonIntensity>(String why) && why.startsWith("the feed did not answer"), r.toString());
    }

    @Test
    void noFeedSetIsAReadingThatSaysSo() {
        Reading<CarbonIntensity> r = new CarbonFeed(new HandClock(NOW), Runnable::run).reading("");
        assertEquals(Reading.unavailable(dev.hearth.node.policy.Readings.NO_FEED), r);
    }
}
