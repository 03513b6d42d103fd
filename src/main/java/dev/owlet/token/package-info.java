/** Tokenizers and the chat layout: the only place text becomes ids. */
package dev.owlet.token;
