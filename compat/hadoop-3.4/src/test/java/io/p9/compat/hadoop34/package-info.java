/** p9-aws on hadoop-aws 3.4 (EMR 7.4 and later), whose S3A is built on the AWS SDK v2. */
package io.p9.compat.hadoop34;
