/** Probes that explain transfer: the one-step gradient theorem measured on real models and data. */
package dev.owlet.probe;
