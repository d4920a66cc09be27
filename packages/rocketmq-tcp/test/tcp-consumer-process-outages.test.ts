import { describeConsumerProcessOutages } from '../../../test-support/adapters/consumer-process-outages.js';
import { tcpAdapterUnderTest } from './support/tcp-adapter-under-test.js';

describeConsumerProcessOutages(tcpAdapterUnderTest());
