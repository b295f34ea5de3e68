import { App } from 'aws-cdk-lib';
import { defineInspectionLetters } from './inspection-letters';

defineInspectionLetters(new App());
