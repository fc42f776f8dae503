import pytest
import torch

from causalpref.models import AdversarialNet, ContextConcatNet, MultiheadNet, SingleRewardNet
from causalpref.models.heads import reverse_gradient


def test_gradient_reversal_flips_and_scales_the_gradient():
    x = torch.ones(3, requires_grad=True)
    (reverse_gradient(x, 0.5) * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert torch.allclose(x.grad, torch.tensor([-0.5, -1.0, -1.5]))


@pytest.mark.parametrize(
    "net",
    [
        SingleRewardNet(8, hidden_dim=16, latent_dim=4),
        ContextConcatNet(8, 3, hidden_dim=16),
        MultiheadNet(8, 3, hidden_dim=16),
        AdversarialNet(8, 3, hidden_dim=16),
    ],
)
def test_nets_return_one_reward_per_row(net):
    reward, rep = net(torch.randn(5, 8), torch.tensor([0, 1, 2, 1, 0]))
    assert reward.shape == (5,)
    assert rep.shape[0] == 5


def test_multihead_scores_each_row_with_its_own_context_head():
    torch.manual_seed(0)
    net = MultiheadNet(4, 2, hidden_dim=8)
    x, c = torch.randn(6, 4), torch.tensor([0, 1, 0, 1, 1, 0])
    reward, _ = net(x, c)
    hz = torch.nn.functional.gelu(net.trunk(x))
    routed = torch.stack([net.heads[int(ci)](hz[i]).squeeze() for i, ci in enumerate(c)])
    assert torch.allclose(reward, routed, atol=1e-6)


def test_adversarial_loss_trains_adversary_and_pushes_trunk_the_other_way():
    torch.manual_seed(0)
    net = AdversarialNet(4, 2, hidden_dim=8, adversary_weight=1.0)
    x, c = torch.randn(10, 4), torch.randint(0, 2, (10,))
    _, rep = net(torch.cat([x, x.flip(0)]), torch.cat([c, c]))
    loss = net.auxiliary_loss(rep[:10], rep[10:], c, torch.ones(10))
    loss.backward()
    trunk_grad = net.trunk[0].weight.grad.clone()
    adv_grad = net.adversary[0].weight.grad.clone()
    net.zero_grad()
    # Without reversal (weight -1 reverses the reversal) the trunk gradient has the opposite sign.
    net.adversary_weight = -1.0
    _, rep = net(torch.cat([x, x.flip(0)]), torch.cat([c, c]))
    net.auxiliary_loss(rep[:10], rep[10:], c, torch.ones(10)).backward()
    assert torch.allclose(net.trunk[0].weight.grad, -trunk_grad, atol=1e-6)
    assert torch.allclose(net.adversary[0].weight.grad, adv_grad, atol=1e-6)
