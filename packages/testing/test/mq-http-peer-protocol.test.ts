import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodeAckRequest, decodePublishRequest } from '../src/mq-http-peer/decode-request-body.js';
import { encodeAckErrors, encodeError, encodeMessages } from '../src/mq-http-peer/encode-response-body.js';
import { parseXml } from '../src/mq-http-peer/parse-xml.js';
import {
  computeSignature,
  parseAuthorization,
  sdkContentMd5,
} from '../src/mq-http-peer/request-signature.js';

// The SDK's own request building and response parsing, to hold the peer's pieces against.
interface SdkHelper {
  toXMLBuffer(entity: string, params: unknown, subType?: string): Buffer;
  parseXML(input: string): Promise<Record<string, unknown>>;
  extract(value: unknown): unknown;
}
interface SdkClient {
  buildHeaders(method: string, body: Buffer | string, resource: string): Record<string, string>;
}
const require = createRequire(import.meta.url);
const helper = require('@aliyunmq/mq-http-sdk/lib/helper.js') as SdkHelper;
const { MQClient } = require('@aliyunmq/mq-http-sdk') as {
  readonly MQClient: new (endpoint: string, accessKeyId: string, accessKeySecret: string) => SdkClient;
};

describe('MQ HTTP peer protocol pieces against the SDK’s own code', () => {
  const client = new MQClient('http://127.0.0.1:1', 'ak', 'secret');

  it.each([
    [
      'GET',
      '',
      '/topics/orders/messages?consumer=GID&ns=MQ_INST&tag=a%7C%7Cb&numOfMessages=16&waitseconds=30',
    ],
    ['POST', '<Message>x</Message>', '/topics/orders/messages?ns=MQ_INST'],
    ['DELETE', '<ReceiptHandles/>', '/topics/orders/messages?consumer=GID'],
  ])('computes the signature and content-md5 the SDK sends for %s', (method, body, resource) => {
    const bodyBuffer = Buffer.from(body);
    const headers = client.buildHeaders(method, bodyBuffer, resource);
    const authorization = parseAuthorization(headers.authorization);
    expect(authorization?.accessKeyId).toBe('ak');
    expect(computeSignature({ method, headers, resource }, 'secret')).toBe(authorization?.signature);
    expect(computeSignature({ method, headers, resource }, 'other')).not.toBe(authorization?.signature);
    if (method !== 'GET') expect(sdkContentMd5(bodyBuffer)).toBe(headers['content-md5']);
  });

  it('reads the publish and ack bodies the SDK writes', () => {
    const publish = helper.toXMLBuffer('Message', {
      MessageBody: 'ü <&> "x"\r\n',
      MessageTag: 'created',
      Properties: 'KEYS:order-1|__SHARDINGKEY:c7|source:web',
    });
    expect(decodePublishRequest(publish.toString('utf8'))).toEqual({
      body: 'ü <&> "x"\r\n',
      tag: 'created',
      properties: new Map([
        ['KEYS', 'order-1'],
        ['__SHARDINGKEY', 'c7'],
        ['source', 'web'],
      ]),
    });
    const ack = helper.toXMLBuffer('ReceiptHandles', ['h1', 'h2'], 'ReceiptHandle');
    expect(decodeAckRequest(ack.toString('utf8'))).toEqual(['h1', 'h2']);
  });

  it('writes messages the SDK’s XML parser reads back exactly, "]]>" and markup included', async () => {
    const xml = encodeMessages([
      {
        messageId: 'ID1',
        receiptHandle: 'H-1',
        bodyMd5: 'MD5',
        body: 'a ]]> b <![CDATA[ & \r\n ]]]]>',
        publishTime: 1,
        nextConsumeTime: 3,
        firstConsumeTime: 2,
        consumedTimes: 1,
        tag: '<tag & "more">',
        properties: 'KEYS:k|p:v',
      },
    ]);
    const parsed = await helper.parseXML(xml);
    const messages = helper.extract((parsed.Messages as Record<string, unknown>).Message);
    expect(messages).toEqual([
      {
        MessageId: 'ID1',
        ReceiptHandle: 'H-1',
        MessageBodyMD5: 'MD5',
        MessageBody: 'a ]]> b <![CDATA[ & \r\n ]]]]>',
        PublishTime: '1',
        NextConsumeTime: '3',
        FirstConsumeTime: '2',
        ConsumedTimes: '1',
        MessageTag: '<tag & "more">',
        Properties: 'KEYS:k|p:v',
      },
    ]);
  });

  it('writes error documents the SDK’s XML parser reads', async () => {
    const error = await helper.parseXML(
      encodeError({
        code: 'MessageNotExist',
        message: 'Message not exist.',
        requestId: 'R1',
        hostId: 'http://h',
      }),
    );
    expect(error.Error).toMatchObject({ Code: ['MessageNotExist'], RequestId: ['R1'] });
    const ack = await helper.parseXML(encodeAckErrors(['h<1>']));
    expect(helper.extract((ack.Errors as Record<string, unknown>).Error)).toEqual([
      {
        ErrorCode: 'ReceiptHandleError',
        ErrorMessage: 'The receipt handle you provide is not valid.',
        ReceiptHandle: 'h<1>',
      },
    ]);
  });

  it.each([
    ['an unclosed element', '<Message><MessageBody>x</Message>'],
    ['"]]>" in text', '<Message><MessageBody><![CDATA[a]]>b]]></MessageBody></Message>'],
    ['a document type declaration', '<!DOCTYPE x [<!ENTITY e "e">]><Message/>'],
    ['content after the root', '<Message/><Message/>'],
    ['an unknown entity', '<Message>&nbsp;</Message>'],
    ['a bare ampersand', '<Message>a & b</Message>'],
  ])('rejects XML with %s', (_what, xml) => {
    expect(() => parseXml(xml)).toThrow(/malformed XML/);
  });

  it('decodes entities, character references and split CDATA sections', () => {
    expect(
      parseXml('<?xml version="1.0"?><a x="&quot;1&quot;">&lt;&#65;&#x42;<![CDATA[]]]]><![CDATA[>]]></a>'),
    ).toEqual({
      name: 'a',
      attributes: new Map([['x', '"1"']]),
      children: [],
      text: '<AB]]>',
    });
  });
});
