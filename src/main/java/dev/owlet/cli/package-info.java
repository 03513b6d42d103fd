/** The picocli command line: thin commands over testable services. */
package dev.owlet.cli;
