package dev.owlet.serve;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal {@code multipart/form-data} reader for {@code POST /v1/files}: the parts' names, optional filenames
 * and raw bytes. Enough for what OpenAI clients send (curl {@code -F}, the Python client, {@code OpenAiHttpBackend}).
 */
final class Multipart {
    /** One form field. {@code filename} is null for plain fields. */
    record Part(String name, String filename, byte[] data) {
        String text() { return new String(data, StandardCharsets.UTF_8); }
    }

    private Multipart() {}

    /** The boundary from a Content-Type header, or null when it is not multipart/form-data. */
    static String boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase().startsWith("multipart/form-data")) return null;
        for (String p : contentType.split(";")) {
            String t = p.strip();
            if (t.toLowerCase().startsWith("boundary=")) {
                String b = t.substring("boundary=".length());
                if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) b = b.substring(1, b.length() - 1);
                return b;
            }
        }
        return null;
    }

    /** Parts by name (the first of each name wins). */
    static Map<String, Part> parse(byte[] body, String boundary) {
        byte[] delim = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        Map<String, Part> parts = new LinkedHashMap<>();
        int at = indexOf(body, delim, 0);
        if (at < 0) throw new IllegalArgumentException("multipart body has no boundary '" + boundary + "'");
        while (true) {
            int start = at + delim.length;
            if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') break; // closing delimiter
            start = skipCrlf(body, start);
            int next = indexOf(body, delim, start);
            if (next < 0) throw new IllegalArgumentException("multipart body is not terminated");
            int end = next;
            if (end >= 2 && body[end - 2] == '\r' && body[end - 1] == '\n') end -= 2;
            else if (end >= 1 && body[end - 1] == '\n') end -= 1;
            int headerEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), start);
            int sep = 4;
            if (headerEnd < 0 || headerEnd > end) {
                headerEnd = indexOf(body, "\n\n".getBytes(StandardCharsets.ISO_8859_1), start);
                sep = 2;
            }
            if (headerEnd < 0 || headerEnd > end) throw new IllegalArgumentException("multipart part without headers");
            String headers = new String(body, start, headerEnd - start, StandardCharsets.UTF_8);
            String name = null;
            String filename = null;
            for (String h : headers.split("\r?\n")) {
                if (!h.toLowerCase().startsWith("content-disposition:")) continue;
                name = param(h, "name");
                filename = param(h, "filename");
            }
            byte[] data = java.util.Arrays.copyOfRange(body, headerEnd + sep, Math.max(headerEnd + sep, end));
            if (name != null) parts.putIfAbsent(name, new Part(name, filename, data));
            at = next;
        }
        return parts;
    }

    private static String param(String header, String key) {
        for (String p : header.split(";")) {
            String t = p.strip();
            if (t.startsWith(key + "=")) {
                String v = t.substring(key.length() + 1);
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
                return v;
            }
        }
        return null;
    }

    private static int skipCrlf(byte[] b, int i) {
        if (i < b.length && b[i] == '\r') i++;
        if (i < b.length && b[i] == '\n') i++;
        return i;
    }

    static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        return -1;
    }
}
