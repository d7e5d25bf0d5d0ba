package dev.hearth.protocol.framing;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

/// Coverage-guided fuzzing of the decoders with Jazzer, using the [DecoderFuzz] oracle.
///
/// Tagged slow (the Jazzer agent needs ~25 s to start). Without `JAZZER_FUZZ` it replays its stored inputs;
/// to fuzz for up to `maxDuration`:
/// `JAZZER_FUZZ=1 ./mvnw -B -o -pl protocol test -Dtest=DecoderJazzerTest -Dhearth.excludedGroups=bench,gpu`
@Tag("slow")
class DecoderJazzerTest {
    @FuzzTest(maxDuration = "60s")
    void decodersRejectOrRoundTripAnyInput(byte[] input) {
        DecoderFuzz.check(input);
    }
}
