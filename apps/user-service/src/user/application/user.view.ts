import { UserView } from '@taskflow/contracts';
import { User } from '../domain/user';

/** Whitelists the public fields: the password hash can never leak through a view. */
export function toView(user: User): UserView {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    profile: user.profile,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
