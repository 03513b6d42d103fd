package dev.owlet.backend;

/** One line of a fine-tuning job's event log. */
public record JobEvent(long createdAt, String level, String message) {}
