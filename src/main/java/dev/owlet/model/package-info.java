/** The GPT model, its configuration, key/value cache and checkpoints. */
package dev.owlet.model;
