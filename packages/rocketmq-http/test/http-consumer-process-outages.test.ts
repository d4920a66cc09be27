import { describeConsumerProcessOutages } from '../../../test-support/adapters/consumer-process-outages.js';
import { httpAdapterUnderTest } from './support/http-adapter-under-test.js';

describeConsumerProcessOutages(httpAdapterUnderTest());
