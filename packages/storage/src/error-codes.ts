// Every error code storage can raise, derived from its error classes, for the docs test.
import { codesOf } from '@ringkv/core';
import * as storageErrors from './errors.js';

export const STORAGE_ERROR_CODES = codesOf(storageErrors);
