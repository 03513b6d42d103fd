/** Intervals, tests and effect sizes: honest statistics for every number owlet reports. */
package dev.owlet.stats;
