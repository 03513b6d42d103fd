/** Pretraining owlet's own reference models on the synthetic world. */
package dev.owlet.pretrain;
