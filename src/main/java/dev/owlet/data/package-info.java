/**
 * The datasets owlet passes between stages: {@code {prompt, completion}} rows as JSONL, read with every malformed
 * line rejected and counted, written atomically.
 */
package dev.owlet.data;
