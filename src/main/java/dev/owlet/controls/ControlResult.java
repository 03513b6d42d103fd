package dev.owlet.controls;

import java.util.Map;

/** One control's outcome: the numbers (for results.json) and its part of the report (markdown). */
public record ControlResult(String name, Map<String, Object> json, String markdown) {}
