import { itSendsThroughAnOutageFromAProcess } from '../../../test-support/adapters/producer-process.js';
import { tcpAdapterUnderTest } from './support/tcp-adapter-under-test.js';

itSendsThroughAnOutageFromAProcess(tcpAdapterUnderTest({}));
