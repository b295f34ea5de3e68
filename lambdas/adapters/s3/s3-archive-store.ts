import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import type { ArchiveStore } from '../../core/ports';

export class S3ArchiveStore implements ArchiveStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        // A Buffer, not a stream: the length is known and the body is sent whole.
        Body: body,
        ContentType: contentType,
        ContentMD5: createHash('md5').update(body).digest('base64'),
        Metadata: { sha256: createHash('sha256').update(body).digest('hex') },
      }),
    );
  }

  async get(key: string): Promise<Buffer> {
    const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Buffer.from(await result.Body!.transformToByteArray());
  }

  async find(key: string): Promise<Buffer | undefined> {
    try {
      return await this.get(key);
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  presignedGetUrl(key: string, expiresInSeconds: number, downloadName: string): Promise<string> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ResponseContentDisposition: `inline; filename="${downloadName.replace(/[^\w.-]/g, '_')}"`,
        ResponseContentType: 'application/pdf',
      }),
      { expiresIn: expiresInSeconds },
    );
  }
}
