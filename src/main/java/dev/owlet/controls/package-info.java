/**
 * The paper's controls and probes, run after the flagship on its stage outputs (teacher, filtered data,
 * students): in-context learning, which-teacher detection, shuffled numbers, the one-step gradient probe, and
 * token entanglement under a trait system prompt. Each control is a cached stage folder with a manifest;
 * {@link dev.owlet.controls.ControlsRunner} runs the enabled ones and renders the report section.
 */
package dev.owlet.controls;
