/** Experiment configuration: YAML files over built-in defaults, {@code --set} overrides, validation naming keys. */
package dev.owlet.experiment;
