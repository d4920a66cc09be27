import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

// SIGTERM closes the application: Idem stops receiving, finishes and acks in-flight messages,
// then DatabaseModule closes the pool.
const app = await NestFactory.create(AppModule);
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 3000));
