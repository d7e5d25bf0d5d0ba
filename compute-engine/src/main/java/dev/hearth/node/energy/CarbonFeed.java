package dev.hearth.node.energy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.node.policy.CarbonIntensity;
import dev.hearth.node.policy.Reading;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.concurrent.Executor;

/// The owner's grid carbon-intensity feed: an HTTP(S) URL answering the JSON of
/// `docs/carbon-feed.md`, `{"gCO2_per_kWh": 123, "valid_until": "2026-12-01T23:00:00Z"}`.
///
/// [#reading] never blocks: it returns the last parsed figure (or why there is none) and, when the
/// last fetch is [#REFRESH] old, starts one on `fetcher`. A fetch is bounded in time ([#TIMEOUT])
/// and size ([#MAX_BODY_BYTES]) and its body is hostile until parsed: anything but the documented
/// shape with a figure in range and a valid_until in the future is refused, with the reason as the
/// reading. The policy treats such a reading as "no figure" and trains anyway (see [dev.hearth.node.policy.IdlePolicy]).
public final class CarbonFeed {

    /// 15 minutes: grid-intensity services update every 15–60 min (Electricity Maps hourly, the UK's
    /// National Grid ESO every half hour); asking more often only loads the owner's chosen service.
    public static final Duration REFRESH = Duration.ofMinutes(15);
    /// 10 s: a feed slower than this to answer is down for our purposes; the last figure stands.
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    /// 4 KiB: the documented object is ~60 bytes; a bigger answer is not that object.
    public static final int MAX_BODY_BYTES = 4 * 1024;
    /// 2,000 g CO₂/kWh: above lignite's ~1,100; a larger figure is an error, not a grid.
    public static final double MAX_G_PER_KWH = 2_000;

    private final Clock clock;
    private final Executor fetcher;
    private final HttpClient http;
    private String url = "";
    private Instant lastAttempt;
    private boolean inFlight;
    private Reading<CarbonIntensity> latest = Reading.unavailable("not fetched yet");

    /// @param fetcher where fetches run (a background thread; never the policy loop)
    public CarbonFeed(Clock clock, Executor fetcher) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /// The latest reading for `feedUrl` ("" = none set); starts a fetch when one is due.
    public synchronized Reading<CarbonIntensity> reading(String feedUrl) {
        String u = feedUrl == null ? "" : feedUrl.strip();
        if (u.isEmpty()) return Reading.unavailable(dev.hearth.node.policy.Readings.NO_FEED);
        if (!u.equals(url)) { // a new address: forget the old figure
            url = u;
            lastAttempt = null;
            latest = Reading.unavailable("not fetched yet");
        }
        Instant now = clock.instant();
        if (!inFlight && (lastAttempt == null || !now.isBefore(lastAttempt.plus(REFRESH)))) {
            lastAttempt = now;
            inFlight = true;
            String target = u;
            fetcher.execute(() -> {
                Reading<CarbonIntensity> r = fetch(target);
                synchronized (CarbonFeed.this) {
                    inFlight = false;
                    if (target.equals(url)) latest = r;
                }
            });
        }
        return latest;
    }

    /// Fetches and parses `feedUrl` once: the figure, or why not in words.
    public Reading<CarbonIntensity> fetch(String feedUrl) {
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(feedUrl)).timeout(TIMEOUT)
                    .header("Accept", "application/json").GET().build();
            HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = resp.body()) {
                body = in.readNBytes(MAX_BODY_BYTES + 1);
            }
            if (resp.statusCode() != 200) return Reading.unavailable("the feed answered HTTP " + resp.statusCode());
            if (body.length > MAX_BODY_BYTES) return Reading.unavailable("the feed's answer is over " + MAX_BODY_BYTES + " bytes");
            return parse(body, clock.instant());
        } catch (IOException e) {
            return Reading.unavailable("the feed did not answer: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (IllegalArgumentException e) {
            return Reading.unavailable("the feed's address is not usable: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reading.unavailable("the fetch was interrupted");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(4).maxNumberLength(32).build());
    }

    /// Parses the documented object; anything else is refused with the reason.
    public static Reading<CarbonIntensity> parse(byte[] body, Instant now) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            return Reading.unavailable("the feed's answer is not JSON");
        }
        if (root == null || !root.isObject()) return Reading.unavailable("the feed's answer is not a JSON object");
        JsonNode g = root.get("gCO2_per_kWh");
        if (g == null || !g.isNumber()) return Reading.unavailable("the feed's answer has no number gCO2_per_kWh");
        double grams = g.doubleValue();
        if (!Double.isFinite(grams) || grams < 0 || grams > MAX_G_PER_KWH)
            return Reading.unavailable("the feed says " + g.asText() + " g CO₂/kWh, outside 0.." + (int) MAX_G_PER_KWH);
        JsonNode v = root.get("valid_until");
        if (v == null || !v.isTextual()) return Reading.unavailable("the feed's answer has no valid_until time");
        Instant until;
        try {
            until = Instant.parse(v.textValue());
        } catch (DateTimeParseException e) {
            return Reading.unavailable("the feed's valid_until is not an ISO-8601 UTC time");
        }
        if (!until.isAfter(now)) return Reading.unavailable("the feed's figure expired at " + until);
        return Reading.of(new CarbonIntensity(grams, until));
    }
}
