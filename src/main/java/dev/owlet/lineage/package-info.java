/**
 * The lineage store: every artifact owlet makes (reference, teacher, dataset, student, evaluation) as a node
 * named by its content hash, with edges to its parents, indexed in an embedded SQLite database. The rules here
 * find students trained on data from a teacher that shares their initialization, the configuration in which
 * subliminal learning transmits traits (Cloud et al. 2025, arXiv 2507.14805).
 */
package dev.owlet.lineage;
