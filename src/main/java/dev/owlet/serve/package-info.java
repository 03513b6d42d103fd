/** {@code owlet serve}: the embedded models behind an OpenAI-compatible HTTP API. */
package dev.owlet.serve;
