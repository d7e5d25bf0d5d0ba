package dev.hearth.engine.data;

import java.io.IOException;

/// A token-cache file is truncated, corrupted, of another format version or not ours.
/// The message names the file and says what to do (delete the cache directory; it is rebuilt from the source).
public final class CorpusFormatException extends IOException {
    public CorpusFormatException(String message) {
        super(message);
    }
}
