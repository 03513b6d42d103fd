package dev.owlet.backend;

/** A file the server holds ({@code POST /files}). */
public record UploadedFile(String id, long bytes, String filename) {}
