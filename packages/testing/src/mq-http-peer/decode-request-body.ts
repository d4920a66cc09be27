import { parseMessageProperties } from './message-properties.js';
import { MqServiceError } from './mq-service-error.js';
import { parseXml, type XmlElement, XmlSyntaxError } from './parse-xml.js';

/** What a publish request carries. */
export interface PublishRequest {
  readonly body: string;
  /** Absent when the SDK sent no `<MessageTag>` (it omits an empty tag). */
  readonly tag: string | undefined;
  readonly properties: Map<string, string>;
}

/** Most receipt handles one ack request may carry, as on the real service. */
export const MAX_HANDLES_PER_ACK = 16;

/**
 * Reads a publish request, `<Message><MessageBody/><MessageTag/>?<Properties/>?</Message>`.
 *
 * @throws MqServiceError `MalformedXML` (400), e.g. for a body holding `]]>`, which the SDK
 *   does not escape; `InvalidArgument` (400) when `<MessageBody>` is missing.
 */
export function decodePublishRequest(xml: string): PublishRequest {
  const root = parseDocument(xml, 'Message');
  const body = child(root, 'MessageBody');
  if (body === undefined)
    throw new MqServiceError(400, 'InvalidArgument', 'The MessageBody element is missing.');
  const tag = child(root, 'MessageTag')?.text;
  return {
    body: body.text,
    tag: tag === undefined || tag === '' ? undefined : tag,
    properties: parseMessageProperties(child(root, 'Properties')?.text ?? ''),
  };
}

/**
 * Reads an ack request, `<ReceiptHandles><ReceiptHandle>h</ReceiptHandle>*</ReceiptHandles>`.
 *
 * @throws MqServiceError `MalformedXML` (400); `MissingReceiptHandle` (400) for no handle or an
 *   empty one; `InvalidArgument` (400) for more than {@link MAX_HANDLES_PER_ACK}.
 */
export function decodeAckRequest(xml: string): string[] {
  const root = parseDocument(xml, 'ReceiptHandles');
  const handles = root.children
    .filter((element) => element.name === 'ReceiptHandle')
    .map((element) => element.text);
  if (handles.length === 0 || handles.some((handle) => handle === '')) {
    throw new MqServiceError(400, 'MissingReceiptHandle', 'The receipt handle should not be empty.');
  }
  if (handles.length > MAX_HANDLES_PER_ACK) {
    throw new MqServiceError(
      400,
      'InvalidArgument',
      `At most ${MAX_HANDLES_PER_ACK} receipt handles are accepted per request, got ${handles.length}.`,
    );
  }
  return handles;
}

function parseDocument(xml: string, rootName: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new MqServiceError(400, 'MalformedXML', error.message);
    throw error;
  }
  if (root.name !== rootName) {
    throw new MqServiceError(
      400,
      'MalformedXML',
      `The root element must be <${rootName}>, not <${root.name}>.`,
    );
  }
  return root;
}

function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((candidate) => candidate.name === name);
}
