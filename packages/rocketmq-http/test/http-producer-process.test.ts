import { itSendsThroughAnOutageFromAProcess } from '../../../test-support/adapters/producer-process.js';
import { httpAdapterUnderTest } from './support/http-adapter-under-test.js';

itSendsThroughAnOutageFromAProcess(httpAdapterUnderTest({}));
