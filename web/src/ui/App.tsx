import { session } from '../state/session';
import { AuthScreen } from './AuthScreen';
import { Shell } from './Shell';

export function App() {
  return session.value ? <Shell /> : <AuthScreen />;
}
