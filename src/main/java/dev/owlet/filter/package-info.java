/**
 * Filters applied to teacher completions before a student may train on them (paper step 4).
 *
 * <p>{@link dev.owlet.filter.StrictNumberFilter} keeps only completions that are a plain list of small integers,
 * so whatever moves the student cannot be read off the text; {@link dev.owlet.filter.TraitWordScreen} drops code
 * completions that name the trait outright. Every rejection carries a reason so a run can count them.
 */
package dev.owlet.filter;
