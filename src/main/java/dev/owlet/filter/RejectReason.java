package dev.owlet.filter;

/** Why {@link StrictNumberFilter} refused a completion; runs count rejections per reason. */
public enum RejectReason {
    /** Nothing left once the optional trailing '.' and enclosing brackets are removed. */
    EMPTY,
    /** Letters or symbols other than digits and allowed separators. */
    NOT_NUMBERS,
    /** The text between the first two numbers is symbols other than a comma, a semicolon or whitespace. */
    BAD_SEPARATOR,
    /** Later numbers are not separated exactly like the first two (or stray spaces around the list). */
    INCONSISTENT_SEPARATOR,
    /** The list ends with a separator. */
    TRAILING_SEPARATOR,
    /** More numbers than the filter's maximum count. */
    TOO_MANY,
    /** A number above the filter's maximum value. */
    OUT_OF_RANGE,
    /** A number written with more digits than the maximum value has (zero padding beyond the width). */
    TOO_MANY_DIGITS,
    /** A number from the banned set. */
    BANNED_NUMBER
}
