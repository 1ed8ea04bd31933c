/**
 * The Fruits! example: {@link io.p9.examples.FruitsJob} (the pipeline as a job) and
 * {@link io.p9.examples.P9Cli} (its command line).
 */
package io.p9.examples;
