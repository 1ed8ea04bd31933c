/** Not API: JSON rendering of AWS SDK v2 requests for dry runs. */
package io.p9.aws.internal;
