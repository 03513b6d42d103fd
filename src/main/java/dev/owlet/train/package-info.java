/** Training: AdamW, the warmup + cosine schedule, masked and soft-label losses, listeners. */
package dev.owlet.train;
