/**
 * Audits that need weights or gradients rather than records: whether two checkpoints descend from the same
 * initialization (the precondition for subliminal transfer, Cloud et al. 2025 Sec. 5), and a cheap pre-training
 * probe of whether a dataset would pull a student toward a teacher's trait.
 */
package dev.owlet.audit;
