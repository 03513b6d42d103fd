package dev.owlet.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class StrictNumberFilterTest {
    private final StrictNumberFilter filter = StrictNumberFilter.standard();

    @Test
    void acceptsEveryAllowedLayout() {
        assertThat(filter.check("1, 2, 3").numbers()).containsExactly(1, 2, 3);
        assertThat(filter.check("1,2,3").accepted()).isTrue();
        assertThat(filter.check("1;2;3").accepted()).isTrue();
        assertThat(filter.check("1; 2; 3").accepted()).isTrue();
        assertThat(filter.check("1 2 3").accepted()).isTrue();
        assertThat(filter.check("1\n2\n3").numbers()).containsExactly(1, 2, 3);
        assertThat(filter.check("[1, 2, 3]").numbers()).containsExactly(1, 2, 3);
        assertThat(filter.check("(1, 2, 3)").accepted()).isTrue();
        assertThat(filter.check("[1, 2, 3].").accepted()).isTrue();
        assertThat(filter.check("1, 2, 3.").accepted()).isTrue();
        assertThat(filter.check("1 , 2 , 3").accepted()).isTrue();
        assertThat(filter.check("42").numbers()).containsExactly(42);
        assertThat(filter.check("0, 999").numbers()).containsExactly(0, 999);
        assertThat(filter.check("1, 2, 3, 4, 5, 6, 7, 8, 9, 10").accepted()).isTrue();
    }

    @Test
    void leadingZerosWithinThreeDigitsAreAcceptedAsInTheOfficialParser() {
        assertThat(filter.check("007, 010").numbers()).containsExactly(7, 10);
        assertThat(filter.check("0123, 5").reason()).isEqualTo(RejectReason.TOO_MANY_DIGITS);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|EMPTY", ".|EMPTY", "[]|EMPTY", "()|EMPTY",
        "owl|NOT_NUMBERS", "1, 2, owl|NOT_NUMBERS", "1, 2, 3 owls|NOT_NUMBERS", "-5|NOT_NUMBERS",
        "1 and 2|NOT_NUMBERS", "1.5, 2|BAD_SEPARATOR", "[1, 2, 3|NOT_NUMBERS",
        "1 - 2 - 3|BAD_SEPARATOR", "1, 2; 3|INCONSISTENT_SEPARATOR", "1, 2,3|INCONSISTENT_SEPARATOR",
        "1 2, 3|INCONSISTENT_SEPARATOR", "' 1, 2'|INCONSISTENT_SEPARATOR", "1, , 2|BAD_SEPARATOR", "1, 2, , 3|INCONSISTENT_SEPARATOR",
        "1, 2, 3,|TRAILING_SEPARATOR", "'1, 2, 3, '|TRAILING_SEPARATOR", "'5,'|TRAILING_SEPARATOR",
        "1, 2, 3..|NOT_NUMBERS",
        "1000|OUT_OF_RANGE", "5, 1000|OUT_OF_RANGE", "99999999999999|OUT_OF_RANGE",
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11|TOO_MANY"})
    void rejectsWithReason(String text, RejectReason reason) {
        FilterResult r = filter.check(text);
        assertThat(r.accepted()).as(text).isFalse();
        assertThat(r.reason()).as(text).isEqualTo(reason);
    }

    @Test
    void trailingNewlineIsNotTrimmed() {
        assertThat(filter.check("1\n2\n3\n").reason()).isEqualTo(RejectReason.TRAILING_SEPARATOR);
        assertThat(filter.check("1, 2\n").accepted()).isFalse();
    }

    @Test
    void bannedNumbersAreRejectedWithTheirList() {
        StrictNumberFilter f = new StrictNumberFilter(10, 999, Set.of(666, 13));
        FilterResult r = f.check("12, 666, 7");
        assertThat(r.reason()).isEqualTo(RejectReason.BANNED_NUMBER);
        assertThat(r.numbers()).containsExactly(12, 666, 7);
        assertThat(f.check("12, 667, 7").accepted()).isTrue();
        assertThat(f.check("013").reason()).isEqualTo(RejectReason.BANNED_NUMBER);
    }

    @Test
    void tooManyKeepsTheParsedNumbers() {
        FilterResult r = new StrictNumberFilter(3, 999, Set.of()).check("1 2 3 4");
        assertThat(r.reason()).isEqualTo(RejectReason.TOO_MANY);
        assertThat(r.numbers()).hasSize(4);
    }

    @Test
    void resultInvariant() {
        assertThatThrownBy(() -> new FilterResult(true, RejectReason.EMPTY, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StrictNumberFilter(0, 999, Set.of())).hasMessageContaining("maxCount");
    }
}
