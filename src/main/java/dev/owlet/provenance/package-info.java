/** Hashes, atomic writes and manifests: who made an artifact, from what, with which seed. */
package dev.owlet.provenance;
