import { S3Client } from '@aws-sdk/client-s3';
import { S3ArchiveStore } from '../adapters/s3/s3-archive-store';
import type { Config } from '../config';

export function s3Client(config: Config): S3Client {
  return new S3Client({ forcePathStyle: config.S3_FORCE_PATH_STYLE === 'true' });
}

export function archiveStore(s3: S3Client, config: Config): S3ArchiveStore {
  return new S3ArchiveStore(s3, config.ARCHIVE_BUCKET);
}
