/** Reports: results.json, Markdown and HTML with charts, and the terminal table. */
package dev.owlet.report;
