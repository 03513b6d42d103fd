package dev.owlet.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request the server refuses, answered in OpenAI's error shape
 * {@code {"error": {"message", "type", "param", "code"}}}. {@code param} names the offending field (null when the
 * request as a whole is wrong). Messages are written for the client: no exception class names, no stack traces.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String param, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: {@code param} is the field to fix. */
    static ApiError bad(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, null, message);
    }

    static ApiError notFound(String param, String message) {
        return new ApiError(404, "invalid_request_error", param, null, message);
    }

    static ApiError tooLarge(String param, long limit) {
        return new ApiError(413, "invalid_request_error", param, "request_too_large",
                (param == null ? "request body" : param) + " is over the limit of " + limit + " bytes");
    }

    ObjectNode toJson(ObjectMapper json) {
        ObjectNode out = json.createObjectNode();
        ObjectNode e = out.putObject("error");
        e.put("message", getMessage());
        e.put("type", type);
        if (param == null) e.putNull("param"); else e.put("param", param);
        if (code == null) e.putNull("code"); else e.put("code", code);
        return out;
    }
}
