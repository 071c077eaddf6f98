package io.checkout.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The on-disk shape shared by the command journal and the order event log: a directory of segment
 * files, each holding numbered records with a checksum, so that a record cut short by a crash or
 * damaged on disk is told apart from a good one.
 *
 * <pre>
 *  segment file  &lt;first sequence, 20 digits&gt;.log
 *    header      magic int, format version int, first sequence long          (16 bytes)
 *    record*     payload length int, CRC32C int, sequence long, payload bytes
 *                (the CRC covers the sequence and the payload)
 * </pre>
 *
 * Sequences are dense and rise by one from record to record, across segments. A segment is only
 * ever appended to; a new one starts when the current one would grow past its size limit.
 */
public final class RecordLog {
    /** No record is larger: the codecs keep well within it. */
    public static final int PAYLOAD_BYTES_MAX = 1 << 16;

    static final int MAGIC = 0x434B4C47; // "CKLG"
    static final int FORMAT_VERSION = 1;
    static final int SEGMENT_HEADER_BYTES = 16;
    static final int RECORD_HEADER_BYTES = 16;
    static final String SUFFIX = ".log";

    private RecordLog() {}

    static Path segmentPath(Path directory, long firstSequence) {
        return directory.resolve(String.format("%020d%s", firstSequence, SUFFIX));
    }

    /** The segments in the directory, oldest first. */
    public static List<Segment> segments(Path directory) {
        List<Segment> segments = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return segments;
        }
        try (Stream<Path> files = Files.list(directory)) {
            files.filter(file -> file.getFileName().toString().endsWith(SUFFIX))
                    .sorted()
                    .forEach(file -> {
                        String name = file.getFileName().toString();
                        String digits = name.substring(0, name.length() - SUFFIX.length());
                        try {
                            segments.add(new Segment(file, Long.parseLong(digits)));
                        } catch (NumberFormatException notOurs) {
                            throw new JournalCorruptException("unexpected file in log directory: " + file);
                        }
                    });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory, e);
        }
        return segments;
    }

    static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync directory " + directory, e);
        }
    }

    /** Syncs every segment of a log to the device (any descriptor's fsync flushes a file's pages). */
    public static void forceSegments(Path directory) {
        for (Segment segment : segments(directory)) {
            try (FileChannel channel = FileChannel.open(segment.path(), StandardOpenOption.READ)) {
                channel.force(false);
            } catch (java.nio.file.NoSuchFileException retired) {
                // Retired meanwhile: nothing left to sync.
            } catch (IOException e) {
                throw new UncheckedIOException("cannot sync " + segment.path(), e);
            }
        }
    }

    /** One segment file and the sequence of its first record. */
    public record Segment(Path path, long firstSequence) {}
}
