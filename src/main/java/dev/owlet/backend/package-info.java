/**
 * The language-model backend seam: the embedded tiny GPTs, or any OpenAI-compatible chat-completions server
 * (including {@code owlet serve}). Stages will sample through {@link dev.owlet.backend.LanguageModelBackend}.
 */
package dev.owlet.backend;
