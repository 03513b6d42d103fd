package dev.owlet.filter;

import java.util.List;
import java.util.Objects;

/**
 * Outcome of one filter check. {@code reason} is null exactly when the completion is accepted; {@code numbers}
 * holds the parsed integers whenever parsing got that far (also for count, range and banned rejections), and is
 * empty when the text was not a well-formed list.
 */
public record FilterResult(boolean accepted, RejectReason reason, List<Integer> numbers) {
    public FilterResult {
        if (accepted != (reason == null)) {
            throw new IllegalArgumentException("reason must be null exactly when accepted (accepted=" + accepted
                    + ", reason=" + reason + ")");
        }
        numbers = List.copyOf(Objects.requireNonNull(numbers, "numbers"));
    }

    public static FilterResult accept(List<Integer> numbers) { return new FilterResult(true, null, numbers); }

    public static FilterResult reject(RejectReason reason, List<Integer> numbers) {
        return new FilterResult(false, Objects.requireNonNull(reason, "reason"), numbers);
    }

    public static FilterResult reject(RejectReason reason) { return reject(reason, List.of()); }
}
