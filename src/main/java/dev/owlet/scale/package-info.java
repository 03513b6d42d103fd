/**
 * Scale-out: a run's independent stages (its students) executed by Apache Spark, on an embedded {@code local[N]}
 * Spark in this process or on a standalone cluster, into the same run folder and stage cache as the in-process
 * executor.
 *
 * <p>Only {@link dev.owlet.scale.SparkEngine} touches Spark's classes, and only {@link dev.owlet.scale.HadoopStages}
 * Hadoop's (a run folder on a filesystem URI, staged by {@link dev.owlet.scale.StagedRun} on the driver and pulled
 * by each task); the CLI reaches them by name, so a run with the default engine loads none of them (and the launcher
 * puts neither on its classpath). Spark tasks cannot carry the pipeline's closures: each task is a
 * {@link dev.owlet.scale.StudentTask}, a plain description of one stage that an executor turns back into a pipeline
 * running that stage alone; everything upstream of it is in the shared stage cache already (a shared folder, or a
 * URI it pulls those stages from).
 */
package dev.owlet.scale;
