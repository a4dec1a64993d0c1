import { render } from 'preact';
import './styles.css';
import { startApp } from './state/app';
import { App } from './ui/App';

startApp();
const root = document.getElementById('app');
if (root) render(<App />, root);
